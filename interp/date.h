/*
** date.h: calendar maths (date.c). Days count from 1970-01-01 in the
** proleptic Gregorian calendar; months are 1 to 12, days 1 to 31.
*/
#ifndef DATE_H
#define DATE_H
#include <stdint.h>

/* The day number of y-m-d (m and d in range: callers check with
** date_days_in_month first). */
int32_t date_from_civil(int y, int m, int d);
/* The year, month and day of day number z. */
void date_to_civil(int32_t z, int *y, int *m, int *d);
/* 28 to 31: the days of month m (1 to 12) of year y. */
int date_days_in_month(int y, int m);

#endif
